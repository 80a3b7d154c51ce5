// The households located in more than one area (h.homes, kept by set_home), with their areas and figures.
// returns: household, areas [area id], people, vulnerable
MATCH (h:Household)
WHERE h.homes > 1
MATCH (h)-[:LOCATED_IN]->(a:Area)
RETURN h.id AS household, collect(DISTINCT a.id) AS areas, coalesce(h.people, 1) AS people,
       coalesce(h.vulnerable, false) AS vulnerable
