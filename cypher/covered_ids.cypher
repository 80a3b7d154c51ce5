// The households with an available contact on the day.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: household
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
RETURN DISTINCT h.id AS household
