// For each group, the contacts valid on the day from one of its members to a household located somewhere,
// but in none of the group's areas (any LOCATED_IN edge counts; availability is not applied).
// $groups: [{members: [member id], areas: [area id]}]; $day: ISO date
// returns: member, household
UNWIND $groups AS g
UNWIND g.members AS member_id
MATCH (m:Member {id: member_id})-[c:CONTACTS]->(h:Household)
WHERE {valid:c}
WITH DISTINCT m, h, g.areas AS allowed
MATCH (h)-[:LOCATED_IN]->(a:Area)
WITH m, h, allowed, collect(a.id) AS places
WHERE none(p IN places WHERE p IN allowed)
RETURN m.id AS member, h.id AS household
