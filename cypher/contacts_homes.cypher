// The contacts valid on the day from some members, each with the household's home (h.home, kept by
// set_home: its area when it has one LOCATED_IN edge and that edge is undated, else null), as one list:
// the caller weighs them against each group's areas, and places a household with no home on the day
// from the dated or several LOCATED_IN edges it keeps (located_several). Asked where contacts_outside
// cannot be: an area id holding a backtick, which FalkorDB's parameter header cannot carry as a map key.
// Availability is not applied.
// $members: [member id]; $day: ISO date
// returns: contacts [[member, household, home]]
UNWIND $members AS member_id
MATCH (m:Member {id: member_id})
WITH m  // start from the indexed member
MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE {valid:c}
RETURN collect([m.id, h.id, h.home]) AS contacts
