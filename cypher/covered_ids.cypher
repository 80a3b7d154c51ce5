// The households with an available contact on the day, as one list (one row is much cheaper for the
// client to read than thousands).
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: households [household id]
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND {available:m}
RETURN collect(DISTINCT h.id) AS households
