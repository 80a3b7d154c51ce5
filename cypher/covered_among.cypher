// Which of some households have a live contact on the day: a CONTACTS edge valid on it from an available member.
// $households: [household id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: household
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
WITH h  // start from the indexed household (FalkorDB would otherwise scan every member)
MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c} AND {available:m}
RETURN DISTINCT h.id AS household
