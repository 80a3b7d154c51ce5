// The responsible person of each organization on a day: the first available post holder, by rank
// (secretary, deputy secretary, committee member, group leader), then by member id.
// $orgs: [org id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: org, responsible (member id, or null when nobody available holds a post)
UNWIND $orgs AS org_id
MATCH (o:Org {id: org_id})
OPTIONAL MATCH (m:Member)-[p:HOLDS_POST]->(o)
WHERE {valid:p} AND {available:m}
WITH org_id, m,
     CASE p.post WHEN 'secretary' THEN 0 WHEN 'deputy_secretary' THEN 1 WHEN 'committee_member' THEN 2
                 WHEN 'group_leader' THEN 3 ELSE 9 END AS rank
ORDER BY org_id, rank, m.id
RETURN org_id AS org, collect(m.id)[0] AS responsible
