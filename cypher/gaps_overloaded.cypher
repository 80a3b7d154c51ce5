// Overloaded members: available members contacting more than $max_households households on the day.
// $day: ISO date; $unavailable: [member id] (what-if); $max_households: the limit
// returns: member, households
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND {available:m}
WITH m, count(DISTINCT h) AS households
WHERE households > $max_households
RETURN m.id AS member, households
ORDER BY member
