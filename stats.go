package apizee

// StatsService is placeholder: its methods come with the service's issue.
type StatsService service
