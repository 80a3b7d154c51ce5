// The contacts of one household on a day, with the units that sent them and those units' organizations.
// $household: household id; $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, unit (or null), org (or null), one row each combination
MATCH (m:Member)-[c:CONTACTS]->(h:Household {id: $household})
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable
OPTIONAL MATCH (m)-[:EMPLOYED_BY]->(u:Unit)
OPTIONAL MATCH (o:Org)-[:OF_UNIT]->(u)
RETURN DISTINCT m.id AS member, u.id AS unit, o.id AS org
