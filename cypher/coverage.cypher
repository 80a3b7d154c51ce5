// Coverage of every area on a day, summed up the territory.
// Households located in one area are counted per area first, then those sums are carried up WITHIN to
// every area above (each area once, however many paths lead there): the work grows with the areas,
// not with households times levels. Households located in several areas are left to coverage_multi.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: area, households, covered, people, people_covered, vulnerable, vulnerable_covered
MATCH (h:Household)-[:LOCATED_IN]->(home:Area)
WITH h, collect(home) AS homes
WHERE size(homes) = 1
WITH h, homes[0] AS leaf
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
WITH leaf, h, CASE WHEN count(m) > 0 THEN 1 ELSE 0 END AS covered
WITH leaf, count(h) AS households, sum(covered) AS covered,
     sum(coalesce(h.people, 1)) AS people, sum(coalesce(h.people, 1) * covered) AS people_covered,
     sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable,
     sum(CASE WHEN h.vulnerable THEN covered ELSE 0 END) AS vulnerable_covered
MATCH (leaf)-[:WITHIN*0..]->(a:Area)
WITH DISTINCT leaf, a, households, covered, people, people_covered, vulnerable, vulnerable_covered
RETURN a.id AS area, sum(households), sum(covered), sum(people), sum(people_covered), sum(vulnerable),
       sum(vulnerable_covered)
