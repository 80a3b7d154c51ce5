// The units some members are employed by on the day (EMPLOYED_BY valid on it) and each unit's
// organizations on the day (OF_UNIT valid on it).
// $members: [member id]; $day: ISO date
// returns: member, unit, org (null for a unit with no organization on the day)
UNWIND $members AS member_id
MATCH (m:Member {id: member_id})
WITH m  // start from the indexed node
MATCH (m)-[e:EMPLOYED_BY]->(u:Unit)
WHERE {valid:e}
OPTIONAL MATCH (o:Org)-[f:OF_UNIT]->(u)
WHERE {valid:f}
RETURN m.id AS member, u.id AS unit, o.id AS org
