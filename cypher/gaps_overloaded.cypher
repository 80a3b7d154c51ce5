// Overloaded members: available members contacting more than $max_households households on the day.
// $day: ISO date; $unavailable: [member id] (what-if); $max_households: the limit
// returns: member, households
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
WITH m, count(DISTINCT h) AS households
WHERE households > $max_households
RETURN m.id AS member, households
ORDER BY member
