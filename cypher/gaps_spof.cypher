// Single points of failure: members who are the only available contact of at least $spof households.
// $day: ISO date; $unavailable: [member id] (what-if); $spof: the threshold
// returns: member, households
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND {available:m}
WITH h, collect(DISTINCT m.id) AS members
WHERE size(members) = 1
WITH members[0] AS member, count(h) AS households
WHERE households >= $spof
RETURN member, households
ORDER BY member
