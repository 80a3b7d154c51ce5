// Vacant posts, no_responsible: organizations with no available member holding a post on the day.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: org
MATCH (o:Org)
OPTIONAL MATCH (m:Member)-[p:HOLDS_POST]->(o)
WHERE (p.since = '' OR p.since <= $day) AND (p.until IS NULL OR $day <= p.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
WITH o, count(m) AS holders
WHERE holders = 0
RETURN o.id AS org
ORDER BY org
