// Around some households: the areas each is located in on the day (LOCATED_IN valid on it) and the members
// with a CONTACTS edge valid on the day to it (availability not applied); the rest of a chain is read edge
// type by edge type.
// $households: [household id]; $day: ISO date
// returns: household, located [area id], contacts [member id]
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
WITH DISTINCT h
OPTIONAL MATCH (h)-[l:LOCATED_IN]->(a:Area)
WHERE {valid:l}
WITH h, collect(DISTINCT a.id) AS located
OPTIONAL MATCH (m:Member)-[c:CONTACTS]->(h)
WHERE {valid:c}
RETURN h.id AS household, located, collect(DISTINCT m.id) AS contacts
