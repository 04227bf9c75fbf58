import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port';
import { waitFor } from './wait';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The first link in the text part (verification, reset, download). */
  link?: string;
  /** The `token` query parameter of that link, when it has one. */
  token?: string;
}

function toReceived(mail: ParsedMail, envelopeTo: string[]): ReceivedMail {
  const text = mail.text ?? '';
  const link = /https?:\/\/\S+/.exec(text)?.[0];
  const token = link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined;
  return {
    to: envelopeTo,
    from: mail.from?.text ?? '',
    subject: mail.subject ?? '',
    text,
    html: typeof mail.html === 'string' ? mail.html : '',
    messageId: mail.messageId ?? '',
    link,
    token,
  };
}

/** A real SMTP server (nodemailer's smtp-server) in-process: records every mail it accepts, parsed. */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(await freePort());
    await smtp.listen();
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Listens (again, after `stop`) on the same port. */
  async listen(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        simpleParser(stream)
          .then((mail) => {
            this.received.push(toReceived(mail, envelopeTo));
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    expect((this.server.server.address() as AddressInfo).port).toBe(this.port);
  }

  /** Stops accepting connections: clients see "connection refused" until `listen` again. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  /** Mails to this address so far. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address.toLowerCase()));
  }

  /** Waits for the `count`-th mail to `address` (default: one more than arrived before) and answers the newest. */
  async next(address: string, count = this.to(address).length + 1, timeoutMs = 15_000): Promise<ReceivedMail> {
    const mails = await waitFor(async () => this.to(address), (m) => m.length >= count, timeoutMs);
    if (mails.length < count) throw new Error(`no mail #${count} to ${address} within ${timeoutMs} ms (got ${mails.length})`);
    return mails[count - 1];
  }
}
