// The contacts of one household on a day, with the units that sent them and those units' organizations.
// $household: household id; $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, unit (or null), org (or null), one row each combination
MATCH (h:Household {id: $household})
WITH h  // start from the indexed household (FalkorDB would otherwise scan every member)
MATCH (h)<-[c:CONTACTS]-(m:Member)
WHERE {valid:c} AND {available:m}
OPTIONAL MATCH (m)-[:EMPLOYED_BY]->(u:Unit)
OPTIONAL MATCH (u)<-[:OF_UNIT]-(o:Org)
RETURN DISTINCT m.id AS member, u.id AS unit, o.id AS org
