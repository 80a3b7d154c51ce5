// Vacant posts, no_responsible: organizations with no available member holding a post on the day.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: org
MATCH (o:Org)
OPTIONAL MATCH (m:Member)-[p:HOLDS_POST]->(o)
WHERE {valid:p} AND {available:m}
WITH o, count(m) AS holders
WHERE holders = 0
RETURN o.id AS org
ORDER BY org
