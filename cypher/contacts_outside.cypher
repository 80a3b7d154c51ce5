// For each group, the contacts valid on the day from one of its members to a household whose home (h.home,
// kept by set_home: its area when it has one LOCATED_IN edge and that edge is undated, else null) is not
// one of the group's areas: the caller weighs those with no home itself, from the dated or several
// LOCATED_IN edges it keeps (located_several), and leaves out those located nowhere on the day. A group's
// areas come as one text, each id between two $sep (a character no id holds), searched for $sep + home +
// $sep: a list or a map would be searched entry by entry, once a contact. The home is weighed before the
// edge's dates, which most contacts, inside, are then spared. Households with no LOCATED_IN edge are left
// out; availability is not applied.
// $groups: [{members: [member id], areas: text}]; $sep: the separator; $day: ISO date
// returns: member, household, home
UNWIND $groups AS g
UNWIND g.members AS member_id
MATCH (m:Member {id: member_id})
WITH m, g.areas AS allowed  // start from the indexed member
MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE h.homes > 0 AND (h.home IS NULL OR NOT allowed CONTAINS ($sep + h.home + $sep)) AND {valid:c}
RETURN DISTINCT m.id AS member, h.id AS household, h.home AS home
