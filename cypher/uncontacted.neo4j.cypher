// The households with no CONTACTS edge at all, whatever its dates (the caller keeps them a revision: no
// day gives them a contact), each with its home (h.home, kept by set_home; null when it has none) and
// figures, as one list. Neo4j answers the pattern from the node's count of edges of the type.
// returns: households [[household id, home, people, vulnerable]]
MATCH (h:Household)
WHERE NOT EXISTS { (h)<-[:CONTACTS]-() }
RETURN collect([h.id, h.home, coalesce(h.people, 1), coalesce(h.vulnerable, false)]) AS households
