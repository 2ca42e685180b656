/**
 * The port through which the gateway asks whether a seat is under legal
 * hold, on every data frame: the frames of a held seat are kept verbatim
 * (signed_frames) in the commit that stores their rows. Answered from
 * memory (cases/held-seats.ts keeps the set), so seats without a hold,
 * nearly all of them, pay one Set lookup and nothing else.
 */
export interface HeldSeats {
  has(seatId: string): boolean;
}
