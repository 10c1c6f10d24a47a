export interface KillRoundsOptions {
  dir: string;
  rounds?: number;
  seconds?: number;
  profile?: "basic" | "torture";
  maxDelayMs?: number;
  log?: (line: string) => void;
}

export interface KillRoundsResult {
  kills: number;
  /** Acknowledged calls (sets and batches) over all rounds, as last verified. */
  acked: number;
  records: number;
  problems: string[];
  ackFile: string;
  seconds?: number;
}

export function killRounds(options: KillRoundsOptions): Promise<KillRoundsResult>;
