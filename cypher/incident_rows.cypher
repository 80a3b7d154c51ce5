// Every incident, oldest first, without its call sheet.
MATCH (i:OrgGraphIncident)
RETURN i.id, i.data, i.closed, i.closed_by
ORDER BY i.seq
