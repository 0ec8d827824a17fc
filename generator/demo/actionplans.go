package demo

// actionPlanRecords are management's action plans for the bank's findings (being built).
func actionPlanRecords() []record { return nil }
