/** Where formatted syslog messages go: one sender per target, by transport. */
export interface SyslogSender {
  /** Resolves once the message is handed to the network (UDP: sent; TCP: written to the stream). */
  send(message: string): Promise<void>;
  close(): Promise<void>;
}

export interface SyslogEndpoint {
  readonly host: string;
  readonly port: number;
}
