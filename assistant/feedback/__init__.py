"""Review decisions (accept/edit/regenerate/reject), stored so they feed the next training set."""
