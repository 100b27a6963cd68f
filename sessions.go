package apizee

// SessionsService is placeholder: its methods come with the service's issue.
type SessionsService service
