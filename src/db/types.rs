//! How content's types are stored: a `Rating` is its count of half stars in
//! an INTEGER column. The mapping lives here, beside the SQL, so that
//! content knows nothing of the database and queries hand back ratings, not
//! integers to decode again.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};

use crate::content::review::Rating;

impl Type<Sqlite> for Rating {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Rating {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&i64::from(self.halves()), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Rating {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let halves = <i64 as Decode<Sqlite>>::decode(value)?;
        Rating::from_halves(halves)
            .ok_or_else(|| format!("{halves} half stars is not a rating").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ratings_go_in_and_come_out_as_half_stars() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let rating = Rating::from_stars(3.5).unwrap();
        let (stored, back): (i64, Rating) = sqlx::query_as("SELECT ?1, ?1")
            .bind(rating)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((stored, back), (7, rating));
        let out_of_range = sqlx::query_scalar::<_, Rating>("SELECT 11")
            .fetch_one(&pool)
            .await;
        assert!(out_of_range.is_err());
    }
}
