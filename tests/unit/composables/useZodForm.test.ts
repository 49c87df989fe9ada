import { describe, expect, it } from 'vitest'
import { fieldErrors, useZodForm } from '../../../composables/useZodForm'
import { GroupCreateSchema } from '../../../shared/schemas/groups'
import { SettingsPatchSchema } from '../../../shared/settings'

describe('useZodForm', () => {
  it('puts the shared schema\'s message next to the field it is about, and returns nothing to send', () => {
    const form = useZodForm()
    const body = form.check(GroupCreateSchema, { name: 'Bad Name', channel: 'openai', upstreams: [{ url: 'not a url', weight: 1 }] })
    expect(body).toBeNull()
    expect(form.errors).toEqual({ name: 'must be 1-100 characters of a-z, 0-9, _ and -', upstreams: 'must be an http:// or https:// URL' })
    expect(form.field('name')).toEqual({ feedback: 'must be 1-100 characters of a-z, 0-9, _ and -', validationStatus: 'error' })
    expect(form.field('models', 'a hint')).toEqual({ feedback: 'a hint', validationStatus: undefined })
  })

  it('returns the parsed body and clears old messages once the input is good', () => {
    const form = useZodForm()
    form.check(SettingsPatchSchema, { max_retries: 101 })
    expect(form.errors).toEqual({ max_retries: 'must be at most 100' })
    expect(form.check(SettingsPatchSchema, { max_retries: 7 })).toEqual({ max_retries: 7 })
    expect(form.errors).toEqual({})
  })

  it('reads the API\'s 400 (dotted paths) the same way, and a message without issues goes to _', () => {
    const form = useZodForm()
    form.showApiError({ data: { message: 'x', data: { issues: [{ path: 'upstreams.0.url', message: 'bad url' }, { path: 'upstreams.1.url', message: 'second' }] } } }, 'fallback')
    expect(form.errors).toEqual({ upstreams: 'bad url' })
    form.showApiError({ data: { message: 'a group named a already exists' } }, 'fallback')
    expect(form.errors).toEqual({ _: 'a group named a already exists' })
    form.showApiError(new Error('network'), 'fallback')
    expect(form.errors).toEqual({ _: 'fallback' })
  })

  it('names unknown keys the way the API does', () => {
    const r = SettingsPatchSchema.safeParse({ nope: 1 })
    expect(fieldErrors(r.error!.issues)).toEqual({ nope: 'is not a known field' })
  })
})
