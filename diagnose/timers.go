package diagnose

import "time"

// RFC 3261 timer values (§17.1.1.1, Table 4) that rules hold the wire
// against. They are the RFC defaults: equipment may be configured otherwise,
// which is why rules report what they measured beside what they expected.
const (
	// T1 is the round-trip estimate: the first retransmission interval.
	T1 = 500 * time.Millisecond
	// T2 caps the retransmission interval of non-INVITE requests and of 2xx
	// responses to INVITE.
	T2 = 4 * time.Second
	// TimerB is how long an INVITE client transaction waits for any response
	// (64*T1); Timer F (non-INVITE) and the 2xx retransmission limit of
	// §13.3.1.4 are the same length.
	TimerB = 64 * T1
	// TimerC is the least a proxy waits for a final response after a
	// provisional one (§16.6, "greater than 3 minutes").
	TimerC = 3 * time.Minute
)

// retransmitSchedule returns the intervals RFC 3261 expects between n
// successive copies of a message: T1, 2*T1, 4*T1, ... capped at T2 when
// capped is true (Timer E, Timer G) and uncapped otherwise (Timer A).
func retransmitSchedule(n int, capped bool) []time.Duration {
	out := make([]time.Duration, 0, n)
	d := T1
	for range n {
		out = append(out, d)
		d *= 2
		if capped && d > T2 {
			d = T2
		}
	}
	return out
}

// scheduleTolerance is how far a measured retransmission interval may stray
// from the RFC's and still be called consistent with it: timers fire late
// under load and the capture point adds its own jitter.
const scheduleTolerance = 0.25

// followsSchedule reports whether the measured intervals match the expected
// ones within scheduleTolerance (and at least 50 ms, for short intervals).
func followsSchedule(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		slack := time.Duration(float64(want[i]) * scheduleTolerance)
		if slack < 50*time.Millisecond {
			slack = 50 * time.Millisecond
		}
		if d := got[i] - want[i]; d > slack || d < -slack {
			return false
		}
	}
	return true
}
