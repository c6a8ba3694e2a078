import { describe, expect, it } from 'vitest';
import * as errors from '../../src/core/errors.js';
import { ErrorCodes, NewsBotError } from '../../src/core/errors.js';

describe('errors', () => {
  it('puts every error class under NewsBotError, each with its own stable code', () => {
    const classes = Object.entries(errors).filter(([name, value]) => typeof value === 'function' && /^[A-Z]\w*Error$/.test(name) && name !== 'NewsBotError') as [string, new (message: string) => NewsBotError][];
    expect(classes.map(([name]) => name).sort()).toEqual([
      'ArticleParseError',
      'ConfigError',
      'DeliveryUnreachableError',
      'EmbedderUnavailableError',
      'IngestBusyError',
      'IngestFailedError',
      'IngestStoppedError',
      'InvalidFilterError',
      'InvalidQuestionError',
      'InvalidUrlError',
      'QueueFullError',
      'StoreModelMismatchError',
      'StoreSchemaError',
      'VectorIndexFileError',
    ]);
    const codes = classes.map(([name, Class]) => {
      const error = new Class('x');
      expect(error, name).toBeInstanceOf(NewsBotError);
      expect(error.name).toBe(name);
      expect(Object.values(ErrorCodes)).toContain(error.code);
      return error.code;
    });
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(Object.values(ErrorCodes)).size).toBe(Object.values(ErrorCodes).length);
  });
});
