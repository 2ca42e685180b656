/** Who and where the seat is on the network. */
export interface NetworkInfo {
  readonly hostname: string;
  readonly osUser: string;
  readonly localIps: readonly string[];
  readonly gateway: string | null;
}

export interface NetworkPort {
  readonly name: string;
  read(): Promise<NetworkInfo>;
}
