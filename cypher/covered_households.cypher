// Whether each household has an available contact on a day, with what coverage weighs it by.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: household, covered, people, vulnerable, located (how many areas it is located in)
MATCH (h:Household)
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
WITH h, count(m) > 0 AS covered
OPTIONAL MATCH (h)-[:LOCATED_IN]->(home:Area)
RETURN h.id AS household, covered, coalesce(h.people, 1) AS people, coalesce(h.vulnerable, false) AS vulnerable,
       count(home) AS located
