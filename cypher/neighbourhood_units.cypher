// The units some members are employed by (any day) and each unit's organizations (any day).
// $members: [member id]
// returns: member, unit, org (null for a unit with no organization)
UNWIND $members AS member_id
MATCH (m:Member {id: member_id})
WITH m  // start from the indexed node
MATCH (m)-[:EMPLOYED_BY]->(u:Unit)
OPTIONAL MATCH (o:Org)-[:OF_UNIT]->(u)
RETURN m.id AS member, u.id AS unit, o.id AS org
