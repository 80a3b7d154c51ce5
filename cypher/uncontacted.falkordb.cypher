// The households with no CONTACTS edge at all, whatever its dates (the caller keeps them a revision: no
// day gives them a contact), each with its home (h.home, kept by set_home; null when it has none) and
// figures, as one list. FalkorDB counts a node's edges of a type with indegree, without walking them.
// returns: households [[household id, home, people, vulnerable]]
MATCH (h:Household)
WHERE indegree(h, 'CONTACTS') = 0
RETURN collect([h.id, h.home, coalesce(h.people, 1), coalesce(h.vulnerable, false)]) AS households
