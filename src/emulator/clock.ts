/**
 * The emulator clock: emulator time runs `scale` times faster than the real clock and can jump forward,
 * so rate windows and token expiries can be exercised without waiting.
 */
export class EmulatorClock {
  private anchorReal: number;
  private anchorEmu: number;
  private currentScale: number;

  constructor(
    scale = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(scale > 0)) throw new Error(`time scale must be a positive number, got ${scale}`);
    this.anchorReal = realNow();
    this.anchorEmu = this.anchorReal;
    this.currentScale = scale;
  }

  /** Emulator time in epoch milliseconds. */
  now = (): number => this.anchorEmu + (this.realNow() - this.anchorReal) * this.currentScale;

  get scale(): number {
    return this.currentScale;
  }

  setScale(scale: number): void {
    if (!(scale > 0)) throw new Error(`time scale must be a positive number, got ${scale}`);
    this.rebase();
    this.currentScale = scale;
  }

  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new Error(`advanceSeconds must be zero or positive, got ${seconds}`);
    this.rebase();
    this.anchorEmu += seconds * 1000;
  }

  /** Real milliseconds that correspond to `emuMs` of emulator time (for latency/hold timers). */
  toRealMs(emuMs: number): number {
    return emuMs / this.currentScale;
  }

  private rebase(): void {
    this.anchorEmu = this.now();
    this.anchorReal = this.realNow();
  }
}
