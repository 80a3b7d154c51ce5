// The contacts valid on the day from some members, each with the household's home (h.home, kept by
// set_home: its area when it is located in exactly one, else null), as one list: the caller weighs them
// against each group's areas, and looks up the areas of a household located in several in what it
// keeps. Asked where contacts_outside cannot be: an area id holding a backtick, which FalkorDB's
// parameter header cannot carry as a map key. Availability is not applied.
// $members: [member id]; $day: ISO date
// returns: contacts [[member, household, home]]
UNWIND $members AS member_id
MATCH (m:Member {id: member_id})
WITH m  // start from the indexed member
MATCH (m)-[c:CONTACTS]->(h:Household)
WHERE {valid:c}
RETURN collect([m.id, h.id, h.home]) AS contacts
