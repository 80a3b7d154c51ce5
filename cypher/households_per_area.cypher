// Households counted in the area they are located in (those located in one area only; the few located
// in several are counted by coverage_multi). Summed up the territory by the caller through area_ancestry.
// $multi: [household id] located in several areas
// returns: area, households, people, vulnerable
MATCH (h:Household)-[:LOCATED_IN]->(home:Area)
WHERE NOT h.id IN $multi
RETURN home.id AS area, count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
