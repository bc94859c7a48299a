/**
 * The execution agent's matching engine: one OrderBook per symbol, sharing one id sequence so that order
 * and trade ids are unique and monotonic across the engine. It routes calls to the right book and runs
 * the engine-wide operations (cancel-all for the kill switch, day expiry). Plain and synchronous; the
 * execution actor owns one and feeds it from its inbox.
 */
import { OctopusError } from '../../../engine/errors.js';
import type { BookEvent } from './book-events.js';
import { describeValue, type Instrument } from './instrument-grid.js';
import { IdSequence, OrderBook, type BookState, type OrderBookOptions } from './order-book.js';
import { checkAccount, checkTimestamp } from './order-validation.js';
import type { OrderRequest, ReplaceRequest, TickOrderRequest, TickReplaceRequest } from './order-types.js';

export type BookOptions = Omit<OrderBookOptions, 'ids'>;

export interface MatchingEngineOptions {
  /** Books at most. Default 4096. */
  maxBooks?: number;
  /** Options for every book, overridden field by field by addBook's. */
  bookDefaults?: BookOptions;
}

const kDefaultMaxBooks = 4_096;

export interface EngineState {
  lastOrderId: number;
  lastTradeId: number;
  books: Record<string, BookState>;
}

export class MatchingEngine {
  readonly ids = new IdSequence();
  readonly maxBooks: number;
  private readonly books = new Map<string, OrderBook>();
  private readonly bookDefaults: BookOptions;
  private readonly events: BookEvent[] = [];

  /** @throws OctopusError ERR_BOOK_BAD_CONFIG on a bad maxBooks. */
  constructor(options: MatchingEngineOptions = {}) {
    const maxBooks = options.maxBooks ?? kDefaultMaxBooks;
    if (!Number.isSafeInteger(maxBooks) || maxBooks < 1 || maxBooks > 1_000_000) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected maxBooks a whole number from 1 to 1000000, was ${describeValue(maxBooks)}`);
    }
    this.maxBooks = maxBooks;
    this.bookDefaults = { ...options.bookDefaults };
  }

  /**
   * Opens the book of an instrument.
   * @throws OctopusError ERR_BOOK_DUPLICATE_SYMBOL, ERR_BOOK_TOO_MANY_BOOKS, ERR_BOOK_BAD_CONFIG.
   */
  addBook(instrument: Instrument, options: BookOptions = {}): OrderBook {
    const symbol = (instrument as Partial<Instrument> | null)?.symbol;
    if (typeof symbol === 'string' && this.books.has(symbol)) {
      throw new OctopusError('ERR_BOOK_DUPLICATE_SYMBOL', `expected a symbol without a book, was ${describeValue(symbol)}`);
    }
    if (this.books.size >= this.maxBooks) {
      throw new OctopusError('ERR_BOOK_TOO_MANY_BOOKS', `expected at most ${this.maxBooks} books, was one more`);
    }
    const book = new OrderBook(instrument, { ...this.bookDefaults, ...options, ids: this.ids });
    this.books.set(book.symbol, book);
    return book;
  }

  /** Every book's state and the id counters, for a snapshot. */
  exportState(): EngineState {
    const books: Record<string, BookState> = {};
    for (const [symbol, book] of this.books) books[symbol] = book.exportState();
    return { lastOrderId: this.ids.lastOrderId, lastTradeId: this.ids.lastTradeId, books };
  }

  /**
   * Loads a snapshot into this engine, whose books must already be open (the same symbols) and empty.
   * @throws OctopusError ERR_STORE_CORRUPT when the snapshot names a symbol this engine has no book for.
   */
  importState(state: EngineState): void {
    for (const symbol of Object.keys(state.books)) {
      if (!this.books.has(symbol)) throw new OctopusError('ERR_STORE_CORRUPT', `expected a book for snapshot symbol ${describeValue(symbol)}, was none`);
    }
    this.ids.lastOrderId = state.lastOrderId;
    this.ids.lastTradeId = state.lastTradeId;
    for (const [symbol, book] of this.books) {
      const bookState = state.books[symbol];
      if (bookState !== undefined) book.importState(bookState);
    }
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL. */
  book(symbol: string): OrderBook {
    const book = this.books.get(symbol);
    if (book === undefined) throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected a symbol with a book, was ${describeValue(symbol)}`);
    return book;
  }

  hasBook(symbol: string): boolean {
    return this.books.has(symbol);
  }

  symbols(): string[] {
    return [...this.books.keys()];
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL and as OrderBook.submit. */
  submit(symbol: string, request: OrderRequest, timestamp: number): readonly BookEvent[] {
    return this.book(symbol).submit(request, timestamp);
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL and as OrderBook.submitTicks. */
  submitTicks(symbol: string, request: TickOrderRequest, timestamp: number): readonly BookEvent[] {
    return this.book(symbol).submitTicks(request, timestamp);
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL, ERR_ORDER_UNKNOWN. */
  cancel(symbol: string, orderId: number): readonly BookEvent[] {
    return this.book(symbol).cancel(orderId);
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL and as OrderBook.replace. */
  replace(symbol: string, orderId: number, change: ReplaceRequest): readonly BookEvent[] {
    return this.book(symbol).replace(orderId, change);
  }

  /** @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL and as OrderBook.replaceTicks. */
  replaceTicks(symbol: string, orderId: number, change: TickReplaceRequest): readonly BookEvent[] {
    return this.book(symbol).replaceTicks(orderId, change);
  }

  /**
   * Cancels every live order of `account` in every book (books in the order they were added): the kill
   * switch. The returned list is the engine's own, reused by the next engine-wide call; its events stay
   * valid until the next mutating call on their book.
   * @throws OctopusError ERR_ORDER_BAD_REQUEST on a malformed account (before any book changes).
   */
  cancelAll(account: string): readonly BookEvent[] {
    checkAccount(account);
    const events = this.events;
    events.length = 0;
    for (const book of this.books.values()) for (const event of book.cancelAll(account)) events.push(event);
    return events;
  }

  /**
   * Expires the day orders entered at or before `timestamp` in every book.
   * @throws OctopusError ERR_ORDER_BAD_REQUEST on a timestamp that is not finite (before any book changes).
   */
  expireDayOrders(timestamp: number): readonly BookEvent[] {
    checkTimestamp(timestamp);
    const events = this.events;
    events.length = 0;
    for (const book of this.books.values()) for (const event of book.expireDayOrders(timestamp)) events.push(event);
    return events;
  }
}
