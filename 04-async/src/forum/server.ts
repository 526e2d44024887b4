// Placeholder: replaced by the forum service of stage 04 (stage 03's, plus the jackpot poller).
throw new Error('not implemented yet');
