// The areas of one household and every area above them, nearest first, with the members assigned to
// each on the day and the organizations governing it on the day.
// $household: household id; $day: ISO date; $unavailable: [member id] (what-if)
// returns: area, depth (0 for the household's own area), assigned [{member, role}], orgs [{org, weak}]
MATCH (:Household {id: $household})-[:LOCATED_IN]->(home:Area)
MATCH p = (home)-[:WITHIN*0..]->(a:Area)
WITH a, min(length(p)) AS depth
OPTIONAL MATCH (m:Member)-[r:ASSIGNED_TO]->(a)
WHERE {valid:r} AND {available:m}
WITH a, depth, collect(DISTINCT {member: m.id, role: r.role}) AS assigned
OPTIONAL MATCH (o:Org)-[g:GOVERNS]->(a)
WHERE {valid:g}
RETURN a.id AS area, depth, assigned, collect(DISTINCT {org: o.id, weak: o.status = 'weak_lax'}) AS orgs
ORDER BY depth, area
