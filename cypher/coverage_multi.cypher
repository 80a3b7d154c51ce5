// Coverage for households located in several areas: each counts once in every area at or above any of
// its locations.
// $day: ISO date; $unavailable: [member id] (what-if); $multi: [household id] located in several areas
// returns: area, households, covered, people, people_covered, vulnerable, vulnerable_covered
UNWIND $multi AS household_id
MATCH (h:Household {id: household_id})
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c} AND {available:m}
WITH h, CASE WHEN count(m) > 0 THEN 1 ELSE 0 END AS covered
MATCH (h)-[:LOCATED_IN]->(:Area)-[:WITHIN*0..]->(a:Area)
WITH DISTINCT h, a, covered
RETURN a.id AS area, count(h), sum(covered), sum(coalesce(h.people, 1)), sum(coalesce(h.people, 1) * covered),
       sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END), sum(CASE WHEN h.vulnerable THEN covered ELSE 0 END)
