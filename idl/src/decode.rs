//! Decodes Ballast's instructions and events with the IDL alone, as an explorer or a wallet
//! does: the first eight bytes name the instruction or event (its discriminator), the rest is
//! Borsh, read field by field as the IDL's types say.
//!
//! Written here because no maintained Rust crate reads Borsh by an Anchor 0.30 IDL at run time;
//! it covers the types the IDL format has except 256-bit integers and generics, which Ballast
//! does not use.
use anchor_lang_idl::types::{Idl, IdlArrayLen, IdlDefinedFields, IdlField, IdlType, IdlTypeDef, IdlTypeDefTy};
use anyhow::{anyhow, bail, Result};
use base64::Engine;
use serde_json::{json, Map, Value};

/// An instruction or event, decoded: its name and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub name: String,
    pub fields: Value,
}

pub struct Decoder<'a> {
    idl: &'a Idl,
}

impl<'a> Decoder<'a> {
    pub fn new(idl: &'a Idl) -> Self {
        Self { idl }
    }

    /// An instruction's data: its name and arguments.
    pub fn instruction(&self, data: &[u8]) -> Result<Decoded> {
        let ix = named_by(&self.idl.instructions, |ix| &ix.discriminator, data, "instruction")?;
        let mut rest = &data[ix.discriminator.len()..];
        let fields = self.named(&ix.args, &mut rest)?;
        ensure_consumed(rest, &ix.name)?;
        Ok(Decoded { name: ix.name.clone(), fields })
    }

    /// An event as Anchor logs it: `Program data: <base64>` on a cluster, `Program log: data:
    /// <base64>` where the program runs natively (the embedded chain).
    pub fn event_log(&self, line: &str) -> Result<Decoded> {
        let data = line
            .strip_prefix("Program data: ")
            .or_else(|| line.strip_prefix("Program log: data: "))
            .ok_or_else(|| anyhow!("not an event line"))?;
        self.event(&base64::engine::general_purpose::STANDARD.decode(data)?)
    }

    /// An event's bytes: its name and fields.
    pub fn event(&self, data: &[u8]) -> Result<Decoded> {
        let event = named_by(&self.idl.events, |e| &e.discriminator, data, "event")?;
        let mut rest = &data[event.discriminator.len()..];
        let fields = self.defined(&event.name, &mut rest)?;
        ensure_consumed(rest, &event.name)?;
        Ok(Decoded { name: event.name.clone(), fields })
    }

    fn type_def(&self, name: &str) -> Result<&IdlTypeDef> {
        self.idl.types.iter().find(|t| t.name == name).ok_or_else(|| anyhow!("the IDL defines no type {name}"))
    }

    fn defined(&self, name: &str, data: &mut &[u8]) -> Result<Value> {
        match &self.type_def(name)?.ty {
            IdlTypeDefTy::Struct { fields } => self.fields(fields.as_ref(), data),
            IdlTypeDefTy::Enum { variants } => {
                let index = take(data, 1)?[0] as usize;
                let variant = variants.get(index).ok_or_else(|| anyhow!("{name} has no variant {index}"))?;
                match &variant.fields {
                    None => Ok(json!(variant.name)),
                    Some(fields) => Ok(json!({ variant.name.clone(): self.fields(Some(fields), data)? })),
                }
            }
            IdlTypeDefTy::Type { alias } => self.value(alias, data),
        }
    }

    fn fields(&self, fields: Option<&IdlDefinedFields>, data: &mut &[u8]) -> Result<Value> {
        match fields {
            None => Ok(Value::Null),
            Some(IdlDefinedFields::Named(named)) => self.named(named, data),
            Some(IdlDefinedFields::Tuple(types)) => {
                Ok(Value::Array(types.iter().map(|ty| self.value(ty, data)).collect::<Result<_>>()?))
            }
        }
    }

    fn named(&self, fields: &[IdlField], data: &mut &[u8]) -> Result<Value> {
        let mut out = Map::new();
        for field in fields {
            out.insert(field.name.clone(), self.value(&field.ty, data)?);
        }
        Ok(Value::Object(out))
    }

    /// One value. Integers wider than 53 bits are strings, as JSON readers lose them otherwise.
    fn value(&self, ty: &IdlType, data: &mut &[u8]) -> Result<Value> {
        macro_rules! int {
            ($t:ty) => {{
                let bytes = take(data, std::mem::size_of::<$t>())?;
                <$t>::from_le_bytes(bytes.try_into().expect("sized"))
            }};
        }
        Ok(match ty {
            IdlType::Bool => json!(take(data, 1)?[0] != 0),
            IdlType::U8 => json!(int!(u8)),
            IdlType::I8 => json!(int!(i8)),
            IdlType::U16 => json!(int!(u16)),
            IdlType::I16 => json!(int!(i16)),
            IdlType::U32 => json!(int!(u32)),
            IdlType::I32 => json!(int!(i32)),
            IdlType::F32 => json!(int!(f32)),
            IdlType::F64 => json!(int!(f64)),
            IdlType::U64 => json!(int!(u64).to_string()),
            IdlType::I64 => json!(int!(i64).to_string()),
            IdlType::U128 => json!(int!(u128).to_string()),
            IdlType::I128 => json!(int!(i128).to_string()),
            IdlType::Pubkey => json!(bs58::encode(take(data, 32)?).into_string()),
            IdlType::String => {
                let len = int!(u32) as usize;
                json!(String::from_utf8(take(data, len)?.to_vec())?)
            }
            IdlType::Bytes => {
                let len = int!(u32) as usize;
                json!(base64::engine::general_purpose::STANDARD.encode(take(data, len)?))
            }
            IdlType::Option(inner) => match take(data, 1)?[0] {
                0 => Value::Null,
                _ => self.value(inner, data)?,
            },
            IdlType::Vec(inner) => {
                let len = int!(u32) as usize;
                Value::Array((0..len).map(|_| self.value(inner, data)).collect::<Result<_>>()?)
            }
            IdlType::Array(inner, IdlArrayLen::Value(len)) => {
                Value::Array((0..*len).map(|_| self.value(inner, data)).collect::<Result<_>>()?)
            }
            IdlType::Defined { name, generics } if generics.is_empty() => self.defined(name, data)?,
            other => bail!("the decoder does not read {other:?}"),
        })
    }
}

/// The item of `items` whose discriminator `data` starts with.
fn named_by<'i, T>(items: &'i [T], discriminator: impl Fn(&T) -> &Vec<u8>, data: &[u8], kind: &str) -> Result<&'i T> {
    items
        .iter()
        .find(|item| data.starts_with(discriminator(item)))
        .ok_or_else(|| anyhow!("no {kind} of the IDL has this discriminator"))
}

fn take<'d>(data: &mut &'d [u8], len: usize) -> Result<&'d [u8]> {
    if data.len() < len {
        bail!("the data ends {} bytes early", len - data.len());
    }
    let (head, rest) = data.split_at(len);
    *data = rest;
    Ok(head)
}

fn ensure_consumed(rest: &[u8], name: &str) -> Result<()> {
    if rest.is_empty() {
        Ok(())
    } else {
        bail!("{} bytes left over after {name}", rest.len())
    }
}
