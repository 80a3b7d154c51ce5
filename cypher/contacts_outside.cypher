// For each group, the contacts valid on the day from one of its members to a household whose home (h.home,
// kept by set_home: its area when it has one LOCATED_IN edge and that edge is undated, else null) is not
// one of the group's areas: the caller weighs those with no home itself, from the dated or several
// LOCATED_IN edges it keeps (located_several), and leaves out those located nowhere on the day. A group's
// areas come as a map {area id: true}, looked up by key (a list would be searched end to end, once a
// contact). Households with no LOCATED_IN edge are left out; availability is not applied.
// $groups: [{members: [member id], areas: {area id: true}}]; $day: ISO date
// returns: member, household, home
UNWIND $groups AS g
UNWIND g.members AS member_id
MATCH (m:Member {id: member_id})
WITH m, g.areas AS allowed  // start from the indexed member
MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE {valid:c} AND h.homes > 0 AND (h.home IS NULL OR allowed[h.home] IS NULL)
RETURN DISTINCT m.id AS member, h.id AS household, h.home AS home
