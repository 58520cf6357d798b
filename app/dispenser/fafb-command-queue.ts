// The upper computer's side of the 0xFA 0xFB exchange: commands wait in a queue until the board POLLs, go
// out one at a time with the next PackNO, and are resent (same PackNO) on the following POLLs until ACKed.
// Pure bookkeeping over an injected `write`: no port, no frames read, so it can be tested alone.
import { ACK_FRAME, FafbCmd, encodeFrame, hex } from './fafb-frame.ts';

/**
 * How a command ended on the wire. `abandoned`: it may have reached a board that has since restarted, so it
 * must never be sent again (for a vend, the outcome is unknown).
 */
export type SendResult = 'acked' | 'unacked' | 'not_sent' | 'abandoned';

export interface OutCommand {
  readonly cmd: number;
  readonly text: Buffer;
  readonly label: string;
  /** A command that runs a motor: never resent after a possible board restart. */
  readonly once: boolean;
  packNo: number | null;
  sends: number;
  /** performance.now() of the last copy put on the wire. */
  lastCopyAt: number;
  /** A POLL came after a silence long enough for a board restart: this command is not resent any more. */
  suspect: boolean;
  cancelSendTimeout: (() => void) | null;
  readonly onSent: () => void;
  readonly onSettled: (result: SendResult) => void;
}

export interface CommandQueueOptions {
  readonly maxRetransmits: number;
  /** A POLL sooner than this after the last copy is answered with ACK: that copy's ACK may still be coming. */
  readonly retransmitAfterMs: number;
  /** A queued command that could not be put on the wire this long after it was asked for is dropped. */
  readonly commandSendTimeoutMs: number;
  readonly write: (bytes: Buffer) => void;
  readonly log: (line: string) => void;
  /** The board is polling (the driver's link state). */
  readonly linkUp: () => boolean;
}

/**
 * POLLs the board must have sent before a timeout fires while the link is up. On a busy machine wall time
 * passes without the board getting its turns; a timeout then would blame the board for the agent's stall.
 */
const MIN_POLLS_BEFORE_TIMEOUT = 10;

/**
 * POLLs after a command's last copy went out before an ACK still counted as "on its way" for it is written
 * off. The board ACKs a packet as it reads it, before any POLL it sends afterwards; only POLLs it had sent
 * before reading our copy (one or two on a busy line) can overtake that ACK.
 */
const POLLS_TO_FORGET_ACKS = 3;

export class FafbCommandQueue {
  private readonly queue: OutCommand[] = [];
  private current: OutCommand | null = null;
  /** The sync command that must go out before anything else on a fresh link (see `requireSync`). */
  private syncFirst = false;
  /**
   * ACKs carry no PackNO. A command sent n times may draw n ACKs; the first settles it, the others can arrive
   * after the next command went out and must not be taken as that command's ACK.
   */
  private staleAcks = 0;
  /** POLLs since the last copy of the command whose extra ACKs `staleAcks` counts. */
  private pollsSinceStaleCopy = 0;
  private pollsSinceCopy = 0;
  private nextPackNo = 1;
  readonly counters = { commandsSent: 0, retransmits: 0 };

  private pollCount = 0;

  constructor(private readonly opts: CommandQueueOptions) {}

  /**
   * Calls `fire` once `ms` have passed and the board has had its chances (10 POLLs since), or at once after
   * `ms` when the link is down. Returns the cancel.
   */
  timeout(ms: number, fire: () => void): () => void {
    const start = this.pollCount;
    let timer: NodeJS.Timeout;
    const check = (): void => {
      if (!this.opts.linkUp() || this.pollCount - start >= MIN_POLLS_BEFORE_TIMEOUT) fire();
      else timer = setTimeout(check, Math.max(10, Math.floor(ms / 10)));
    };
    timer = setTimeout(check, ms);
    return () => clearTimeout(timer);
  }

  get inFlight(): OutCommand | null {
    return this.current;
  }

  /**
   * The next command to go out is a 0x31 information sync, ahead of the queue. It is idempotent, so it is the
   * safe place for our first PackNO on a link: a board that still remembers that number from an earlier
   * agent process drops only the sync as a "retransmission", never a vend.
   */
  requireSync(): void {
    this.syncFirst = true;
  }

  submit(
    cmd: number,
    text: readonly number[],
    label: string,
    handlers: { once?: boolean; onSent?: () => void; onSettled: (result: SendResult) => void },
  ): OutCommand {
    const command: OutCommand = {
      cmd,
      text: Buffer.from(text),
      label,
      once: handlers.once ?? false,
      packNo: null,
      sends: 0,
      lastCopyAt: 0,
      suspect: false,
      cancelSendTimeout: null,
      onSent: handlers.onSent ?? (() => {}),
      onSettled: handlers.onSettled,
    };
    command.cancelSendTimeout = this.timeout(this.opts.commandSendTimeoutMs, () => {
      const i = this.queue.indexOf(command);
      if (i < 0) return;
      this.queue.splice(i, 1);
      this.opts.log(
        `${label} never sent: the board did not POLL within ${this.opts.commandSendTimeoutMs} ms`,
      );
      command.onSettled('not_sent');
    });
    this.queue.push(command);
    return command;
  }

  /**
   * Answers one POLL, synchronously (the board wants it within 100 ms): a retransmission of the command in
   * flight, else the next queued command, else ACK. `restartSuspected`: the board was silent long enough to
   * have restarted, so a motor command in flight is abandoned instead of resent.
   */
  answerPoll(restartSuspected: boolean): void {
    this.pollCount++;
    this.pollsSinceCopy++;
    if (++this.pollsSinceStaleCopy >= POLLS_TO_FORGET_ACKS) this.staleAcks = 0;
    const pending = this.current;
    if (pending?.once && restartSuspected && !pending.suspect) {
      // Not resent. Its ACK gets one more POLL to arrive: a silence seen by a busy agent (its own event loop
      // stalled) ends in a burst of frames in which the ACK may follow this POLL.
      pending.suspect = true;
      this.opts.write(ACK_FRAME);
      return;
    }
    if (pending && !pending.suspect && performance.now() - pending.lastCopyAt < this.opts.retransmitAfterMs) {
      this.opts.write(ACK_FRAME);
      return;
    }
    if (pending?.suspect) {
      this.settleInFlight(
        'abandoned',
        `${pending.label}: board silent before its ACK (a restart?); not resent`,
      );
    } else if (pending) {
      if (pending.sends > this.opts.maxRetransmits) {
        this.settleInFlight(
          'unacked',
          `${pending.label} not acknowledged after ${pending.sends} sends; giving up`,
        );
      } else {
        pending.sends++;
        this.counters.retransmits++;
        this.opts.log(
          `retransmitting ${pending.label} PackNO ${pending.packNo ?? '-'} (send ${pending.sends})`,
        );
        this.copyOut(pending);
        return;
      }
    }
    const next = this.syncFirst ? this.syncCommand() : this.queue.shift();
    if (!next) {
      this.opts.write(ACK_FRAME);
      return;
    }
    next.packNo = this.nextPackNo;
    this.nextPackNo = this.nextPackNo >= 255 ? 1 : this.nextPackNo + 1;
    next.sends = 1;
    next.cancelSendTimeout?.();
    next.cancelSendTimeout = null;
    this.current = next;
    this.counters.commandsSent++;
    this.opts.log(`-> ${next.label} PackNO ${next.packNo}: ${hex(this.copyOut(next))}`);
    next.onSent();
  }

  onAck(): void {
    const acked = this.current;
    if (!acked) return; // an ACK with nothing outstanding (e.g. a late duplicate) is harmless
    if (this.staleAcks > 0) {
      // Probably a late ACK of the previous command's retransmission. If it was in fact this command's, the
      // next POLL resends it with the same PackNO, which the board acknowledges again without acting twice.
      this.staleAcks--;
      return;
    }
    this.current = null;
    this.staleAcks = acked.sends - 1;
    this.pollsSinceStaleCopy = this.pollsSinceCopy;
    acked.onSettled('acked');
  }

  /** A reply from the board proves it took `command` (its ACK was lost): settle it as ACKed. */
  confirmed(command: OutCommand): void {
    if (this.current !== command) return;
    this.current = null;
    this.staleAcks = command.sends; // every copy's ACK may still come
    this.pollsSinceStaleCopy = this.pollsSinceCopy;
    command.onSettled('acked');
  }

  /** Withdraws a command, queued or in flight, without settling it (its owner has already finished). */
  withdraw(command: OutCommand): void {
    command.cancelSendTimeout?.();
    command.cancelSendTimeout = null;
    if (this.current === command) this.current = null;
    const i = this.queue.indexOf(command);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /**
   * The board restarted or the link was lost: the command in flight is settled (a motor command as
   * `abandoned`, never to be resent; others `unacked`) and no old ACK is still coming.
   */
  linkBroken(reason: string): void {
    this.staleAcks = 0;
    const lost = this.current;
    if (lost) this.settleInFlight(lost.once ? 'abandoned' : 'unacked', `${lost.label}: ${reason}`);
  }

  /** On close: every queued command ends `not_sent` (no byte of it reached the board). */
  dropQueued(): void {
    for (const c of this.queue.splice(0)) {
      c.cancelSendTimeout?.();
      c.onSettled('not_sent');
    }
  }

  private settleInFlight(result: SendResult, why: string): void {
    const c = this.current;
    if (!c) return;
    this.current = null;
    this.opts.log(why);
    c.onSettled(result);
  }

  private copyOut(c: OutCommand): Buffer {
    this.pollsSinceCopy = 0;
    c.lastCopyAt = performance.now();
    const bytes = encodeFrame(c.cmd, c.packNo ?? undefined, c.text);
    this.opts.write(bytes);
    return bytes;
  }

  private syncCommand(): OutCommand {
    this.syncFirst = false;
    return {
      cmd: FafbCmd.INFO_SYNC,
      text: Buffer.alloc(0),
      label: 'information sync',
      once: false,
      packNo: null,
      sends: 0,
      lastCopyAt: 0,
      suspect: false,
      cancelSendTimeout: null,
      onSent: () => {},
      onSettled: () => {},
    };
  }
}
