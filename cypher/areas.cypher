// Every area with its name and level, and every WITHIN edge with its dates (whatever they are: the caller
// keeps them a revision and picks those valid on a day), each as one list read in bulk (a walk from each
// area to its parents, one area at a time, takes several times longer on FalkorDB). A list with nothing
// in it comes as no row.
// returns: what ('areas' or 'within'), rows: [[area id, name, level]] or [[child id, parent id, since ('' when open), until (null when open)]]
MATCH (a:Area)
RETURN 'areas' AS what, collect([a.id, a.name, a.level]) AS rows
UNION ALL
MATCH (c:Area)-[r:WITHIN]->(p:Area)
RETURN 'within' AS what, collect([c.id, p.id, r.since, r.until]) AS rows
