// Where the members of a token's scope serve (see orggraph.access.SERVES), as rows for the caller to weigh:
// for each member, how many households it contacts or lives in ('all', to weigh against how many of them
// are located within the token's areas, from scope_people); the members of the households located within and also
// outside ('out'); and each area a member is assigned to ('area') and organization it holds a post in,
// belongs or reported to ('org'). Every edge counts, whatever its dates.
// $members: [member id] of the scope; $households_out: [household id]
// located within its areas and also outside them
// returns: what, member, other (a count, or an id)
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h:Household)
WHERE m.id IN $members
WITH DISTINCT m, h
RETURN 'all' AS what, m.id AS member, count(h) AS other
UNION ALL
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h:Household)
WHERE h.id IN $households_out
RETURN DISTINCT 'out' AS what, m.id AS member, h.id AS other
UNION ALL
MATCH (m:Member)-[:ASSIGNED_TO]->(a:Area)
WHERE m.id IN $members
RETURN DISTINCT 'area' AS what, m.id AS member, a.id AS other
UNION ALL
MATCH (m:Member)-[:HOLDS_POST|MEMBER_OF|SUNK_TO]->(o:Org)
WHERE m.id IN $members
RETURN DISTINCT 'org' AS what, m.id AS member, o.id AS other
