// A page of the records of one kind that may hold one of some texts, in id order: those whose JSON text
// holds one of them, letters in either case (the caller tells apart a text found only in how the record
// is written, a key say, from one found in a property's value).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $texts: [text, as a record's JSON text writes it]; $after: the last id of the previous page ('' for the
// first); $page: the most records a page
// returns: id, props (the record as JSON text)
MATCH (n:{label})
WHERE n.id > $after AND any(t IN $texts WHERE toLower(n.props) CONTAINS toLower(t))
RETURN n.id AS id, n.props AS props
ORDER BY id
LIMIT $page
