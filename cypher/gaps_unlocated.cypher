// Unlocated households: no LOCATED_IN edge.
// returns: household
MATCH (h:Household)
OPTIONAL MATCH (h)-[:LOCATED_IN]->(a:Area)
WITH h, count(a) AS areas
WHERE areas = 0
RETURN h.id AS household
ORDER BY household
