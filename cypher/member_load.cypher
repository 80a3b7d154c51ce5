// How many households each member contacts on the day (distinct households).
// $members: [member id]; $day: ISO date
// returns: member, households
UNWIND $members AS member_id
MATCH (m:Member {id: member_id})
OPTIONAL MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE {valid:c}
RETURN m.id AS member, count(DISTINCT h) AS households
