// For each available member with a live contact on the day: how many households it contacts, and of how
// many it is the only live contact (two edges between the same member and household count once).
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, households, only
MATCH (m:Member)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND {available:m}
WITH h, collect(DISTINCT m.id) AS members
UNWIND members AS member
RETURN member, count(h) AS households, sum(CASE WHEN size(members) = 1 THEN 1 ELSE 0 END) AS only
