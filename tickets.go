package apizee

// TicketsService is placeholder: its methods come with the service's issue.
type TicketsService service
