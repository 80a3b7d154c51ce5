// Cross-boundary contacts, the boundaries: for each member with a SUNK_TO valid on the day, the areas
// governed on the day by the organizations the member sunk to.
// $day: ISO date
// returns: member, areas [area id]
MATCH (m:Member)-[s:SUNK_TO]->(:Org)-[g:GOVERNS]->(a:Area)
WHERE {valid:s} AND {valid:g}
RETURN m.id AS member, collect(DISTINCT a.id) AS areas
