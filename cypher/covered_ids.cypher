// The households with an available contact on the day, as one list (one row is much cheaper for the
// client to read than thousands).
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: households [household id]
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
RETURN collect(DISTINCT h.id) AS households
